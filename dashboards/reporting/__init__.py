"""EU programme reporting: AIR tables 6 and 3A and the operations list, as of a date."""
