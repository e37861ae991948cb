"""DSPy programs (prompts and nothing else): signatures and modules used by the agents."""
