"""Business item plugins: one module per item of the guide's §三 (十项业务)."""
