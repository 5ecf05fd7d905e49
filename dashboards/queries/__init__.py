"""The query layer: small functions with parameterised SQL, one module per domain.

Pages and blueprints call these functions; they never write SQL themselves and
never pass user input into SQL text (only as bound parameters, or after
checking it against a fixed list of allowed names).
"""
