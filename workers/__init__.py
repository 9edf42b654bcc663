"""placewatch workers: RQ job entry points and the extraction engine (text -> control events)."""
