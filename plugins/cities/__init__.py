"""City rule-variant plugins: the provincial baseline and the cities that differ from it."""
