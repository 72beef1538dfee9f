-- Load script for wrk: each request is drawn at random from a file made by
-- the bench, one request a line, tab-separated: method, path, bearer token
-- (or -), JSON body (or -). The requests are formatted once, in init, so
-- that the load generator spends its time sending, not building.
local reqs = {}

function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local method, path, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
    if body == "-" then
      body = nil
    else
      headers["Content-Type"] = "application/json"
    end
    reqs[#reqs + 1] = wrk.format(method, path, headers, body)
  end
  f:close()
  math.randomseed(os.time() * 1000 + #reqs + math.floor(os.clock() * 1e6))
end

function request()
  return reqs[math.random(#reqs)]
end

-- One line of JSON for the bench to read; latencies are in microseconds.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
