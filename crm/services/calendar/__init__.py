"""Calendar feeds (iCalendar) of the published events and of each user's follow-ups."""
