"""The Teams app package: manifest, icons and the zip Teams installs the bot from."""
