"""Progress analytics: day series and weekly summaries, n-of-1 comparisons, a relapse-risk
signal and the clinic overview. Pure: the services pass the data and `today` in."""
