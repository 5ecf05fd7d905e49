"""ETL: landing files -> validation -> staging -> marts -> atomic publish of a DuckDB warehouse."""
