"""Make a web process ready before it takes its first request.

A fresh gunicorn worker would otherwise load on its first requests what every request needs:
the URL configuration (and with it every view module, DRF, the serializers), and the
compiled templates. Under load those first requests wait behind it — measured with wrk on 4
cold workers, the slowest request took 0.7–0.9 s and the 99th percentile 64–78 ms, against
0.1 s and 40–42 ms for warmed workers (docs/performance.md). It happens after every deploy
and every worker restart.

Then everything loaded so far is moved out of the garbage collector's sight (`gc.freeze`):
it lives as long as the process, and the collector no longer walks it on each full
collection. Called from gunicorn's `post_worker_init` (config/gunicorn.py); a failure here is
logged and the worker starts anyway, as it would have without the warm-up.
"""

from __future__ import annotations

import gc
import logging
import time
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import get_resolver, reverse

logger = logging.getLogger(__name__)


def project_templates() -> list[str]:
    """The names of the templates of this project's own apps (not of installed packages)."""
    root = Path(settings.BASE_DIR).resolve()
    names: set[str] = set()
    for app in apps.get_app_configs():
        # Ours: its top-level package is a folder of the project (a virtualenv inside the
        # project holds installed packages too, so "somewhere under the root" is not enough).
        package = root / app.name.split(".")[0]
        folder = Path(app.path).resolve() / "templates"
        if not package.is_dir() or package.resolve() not in folder.parents:
            continue
        if not folder.is_dir():
            continue
        names.update(
            path.relative_to(folder).as_posix()
            for path in folder.rglob("*")
            if path.is_file() and path.suffix in {".html", ".txt"}
        )
    return sorted(names)


def warm() -> dict[str, float]:
    """Load the URL configuration and compile the project's templates, then freeze what is
    loaded. Returns what it did, for the log line."""
    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018  (imports the URLconf and every view module)
    reverse("healthz")  # builds the reverse lookup tables
    compiled = failed = 0
    for name in project_templates():
        try:
            get_template(name)  # the cached loader keeps the compiled template
            compiled += 1
        except (TemplateDoesNotExist, TemplateSyntaxError) as exc:
            failed += 1  # the request that needs it reports it, as it would have anyway
            logger.warning("warm-up: template %s did not compile: %s", name, exc)
    gc.collect()
    gc.freeze()
    return {
        "templates": compiled,
        "templates_failed": failed,
        "frozen_objects": gc.get_freeze_count(),
        "seconds": round(time.perf_counter() - started, 3),
    }
