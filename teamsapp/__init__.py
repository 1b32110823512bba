"""The Teams app package: manifest, icons and the zip Teams installs the bot from.

The template, icons and schema stay in `deploy/` beside the deployment notes that describe
them; they are found from this source tree (a checkout or an editable install), as before.
"""

from pathlib import Path

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy"
APP_PACKAGE_DIR = DEPLOY_DIR / "appPackage"
