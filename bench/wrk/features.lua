-- wrk script of the tideflags benchmark. One Authorization value per line in the file named by
-- TF_WRK_HEADERS (an empty line: no header), optionally followed by a tab and an X-Location value;
-- each request draws one at random, so a run spreads over every user. done() prints one JSON line (prefix TFJSON) the harness parses: wrk's text report lacks
-- p99.9 and rounds latencies.

local file = os.getenv("TF_WRK_HEADERS")
-- TF_WRK_CLOSE=1: every request says Connection: close, and wrk opens a new connection after each answer.
local close = os.getenv("TF_WRK_CLOSE") == "1"
if close then wrk.headers["Connection"] = "close" end
local headers = {}
if file and file ~= "" then
  for line in io.lines(file) do
    -- Built once here, not per request: wrk's own CPU is part of what the run measures.
    local auth, location = line:match("^([^\t]*)\t(.*)$")
    if auth == nil then auth = line end
    local h = {}
    if auth ~= "" then h.Authorization = auth end
    if location ~= nil then h["X-Location"] = location end
    if close then h.Connection = "close" end
    headers[#headers + 1] = h
  end
end

-- Defined only when there are headers to draw: without request(), wrk sends one prebuilt request,
-- which is what the anonymous scenario should cost the generator.
if #headers > 0 then
  local path = "/features"
  math.randomseed(os.time())
  function request()
    return wrk.format("GET", path, headers[math.random(#headers)])
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'TFJSON {"requests":%d,"durationUs":%d,"p50":%d,"p99":%d,"p999":%d,"max":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
