"""The staff console at /console: review conversations, take over, teach, measure."""
