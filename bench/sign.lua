-- Signing through the public API: every request is a new supporter (unique e-mail), so each
-- one is a real insert (supporter, consent, signature, outbox row), never a dedupe hit.
-- wrk ... -s bench/sign.lua URL -- <campaign-slug> <consent-version> <run-tag>
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  slug = args[1]
  consent_version = args[2]
  run_tag = args[3]
  path = "/api/v1/campaigns/" .. slug .. "/signatures/"
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"first_name":"Bench","last_name":"Signer %d","email":"s%s-%d-%d@bench.example.org",'
      .. '"country":"DE","postcode":"10115","consent":true,"consent_version":%s}',
    counter, run_tag, tid, counter, consent_version)
  return wrk.format("POST", path, headers, body)
end

-- One machine-readable line for the harness (bench/harness.py: parse_wrk).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,'
      .. '"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
