"""Moments in the conversation: times as members write them, the times a message quotes,
and what is at a second of an episode (issue 14). Nothing here knows about Discord."""
