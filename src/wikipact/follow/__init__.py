"""Following Wikimedia's change streams: events, the stream client, content fetching, and the follower."""
