"""Reports (friction, ballot comments, gap matrices) and the exports they share."""
