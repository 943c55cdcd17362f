"""Developer tools run from the command line (`hvac-agent simulate`); never imported by the server."""
