"""Stand-ins for the cloud on this machine: the tests' fakes, and `setcover-bot demo-vod`."""
