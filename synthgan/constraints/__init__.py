"""Constraints: rules every synthetic row obeys (declared, inferred, held by construction, checked).

Example:
    >>> import pandas as pd
    >>> from synthgan.constraints import Range
    >>> Range("age", 0, 120).violations(pd.DataFrame({"age": [30, 130]})).tolist()
    [False, True]
"""

from .declare import check_rules, rule_from_dict
from .plan import ConstraintPlan
from .rules import Custom, FixedCombinations, IfThen, Inequality, Range, Rule, Sum
from .suggest import suggest_constraints

__all__ = [
    "ConstraintPlan",
    "Custom",
    "FixedCombinations",
    "IfThen",
    "Inequality",
    "Range",
    "Rule",
    "Sum",
    "check_rules",
    "rule_from_dict",
    "suggest_constraints",
]
