"""Loaded by Python at start-up when this folder is on PYTHONPATH: Enterprise's host names go
to the local server named by WIKIPACT_ENTERPRISE_BASE (see tests/enterprise/routing.py)."""

import os
import sys

if os.environ.get("WIKIPACT_ENTERPRISE_BASE"):
    sys.path.insert(0, os.environ["WIKIPACT_ENTERPRISE_REPO"])
    from tests.enterprise.routing import route

    route(os.environ["WIKIPACT_ENTERPRISE_BASE"])
