"""Driver for the export scenario: stream one petition's CSV to /dev/null through
advocacy.exports.signatures_csv_lines; print rows, bytes, seconds and peak RSS as JSON."""

from __future__ import annotations

import argparse
import json
import resource
import time

import django


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the address space, which exec
    replaces; ru_maxrss survives exec on Linux and so reported the harness's own peak (the
    process that forked this one) whenever that was higher."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--petition-id", type=int, required=True)
    options = parser.parse_args()
    django.setup()
    from advocacy.exports import signatures_csv_lines

    rss_before = peak_rss_mb()
    started = time.perf_counter()
    rows = -1  # the header line
    size = 0
    with open("/dev/null", "w", encoding="utf-8") as sink:
        for line in signatures_csv_lines(petition_id=options.petition_id):
            sink.write(line)
            size += len(line)
            rows += 1
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": rows,
                "bytes": size,
                "seconds": round(seconds, 2),
                "rows_per_second": round(rows / seconds, 1) if seconds else 0,
                "peak_rss_mb": round(peak_rss_mb(), 1),
                "rss_after_setup_mb": round(rss_before, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
