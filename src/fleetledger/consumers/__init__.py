"""The read side: a runner that retries and dead-letters, exactly-once projections, task state."""
