"""Channel adapters: translate a channel's updates into Incoming and Replies into its API calls."""
