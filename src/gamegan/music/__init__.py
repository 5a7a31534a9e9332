"""The score model and the representations the music models learn from."""
