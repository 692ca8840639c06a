"""The FMA mode: ``a * b + c`` rounded once, exactly, in plain Python; and the deep net's
kernels rewritten to use it.

In the FMA mode (``init_net(..., fma=True)``) every ``s += a * b`` and ``s = s + a * b`` of
the deep net's loops becomes ``s = fma(a, b, s)``: the same operands, the same terms in the
same order, one rounding to the net's dtype instead of two. ``fused`` makes that rewrite
from the kernels' own source, so the FMA mode's loops are the default mode's loops by
construction, and the rewrite is the whole difference in the sums; the compiled backends
compile the rewritten source with ``fma`` bound to an instruction (numba: ``llvm.fma``), and
run eight of ``layer_response``'s sums side by side instead of four
(``_rearranged.EIGHT_SUMS``: an fma's latency needs more chains), each in the same order.

``fma`` here is exact on every Python: ``math.fma`` where there is one (3.13 and later),
otherwise

* float64: Dekker's exact product (Veltkamp's split) ``a * b = p + e``, then ``math.fsum``
  of ``p, e, c``, which is the exact sum correctly rounded; where the split could overflow
  or the product's low part underflow (very large or very small products), the exact
  rational ``Fraction(a) * Fraction(b) + Fraction(c)``, rounded once by ``float``;
* float32 (all three operands ``numpy.float32``): the product of two float32 is exact in
  float64, and the sum ``p + c`` is made exact-then-rounded-to-odd in float64 (its rounding
  error, Knuth's two-sum, decides the last bit); rounding that once more to float32 is the
  exact result rounded once (round-to-odd then nearest is exact when the first format has
  at least two more bits than the second, 53 >= 24 + 2). Not ``float(fma64) -> float32``:
  rounding twice to nearest can be off by one unit for an fma.

Non-finite operands give what IEEE 754's ``fusedMultiplyAdd`` gives: with ``a`` or ``b``
infinite or NaN, ``a * b + c`` computed plainly (such a product is not rounded); with only
``c``, ``c`` (the exact product is finite, even where ``a * b`` would overflow).
"""

from __future__ import annotations

import ast
import inspect
import math
import sys
import types
from fractions import Fraction

import numpy as np

_SPLITTER = 134217729.0  # 2**27 + 1: Veltkamp's split of a double into two 26-bit halves
_SPLIT_MAX = 2.0**995  # above, _SPLITTER * a could overflow
_PRODUCT_MIN = 2.0**-960  # below, the product's low part could lose bits to underflow
# the largest double plus half its unit in the last place: from there on, a sum rounds to inf
_PAST_MAX_HALFWAY = Fraction(sys.float_info.max) + Fraction(2) ** 970
# the same for float32: (2 - 2**-24) * 2**127
_F32_PAST_MAX_HALFWAY = (2.0 - 2.0**-24) * 2.0**127
_TWO_53 = 2.0**53  # a double's significand from frexp's [0.5, 1), as an integer


def _fma64_exact(a: float, b: float, c: float) -> float:
    p = a * b
    # the common case: a product well inside the range (so a, b finite), c finite
    if _PRODUCT_MIN <= abs(p) < _SPLIT_MAX and c - c == 0.0 and abs(a) < _SPLIT_MAX > abs(b):
        t = _SPLITTER * a
        a_hi = t - (t - a)
        a_lo = a - a_hi
        t = _SPLITTER * b
        b_hi = t - (t - b)
        b_lo = b - b_hi
        e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo  # a * b - p, exact
        return math.fsum((p, e, c))  # no partial sum can overflow: |p + e|, |c| < 2**996
    if not (math.isfinite(a) and math.isfinite(b)):
        return a * b + c  # the product is inf or NaN, exactly
    if not math.isfinite(c):
        return c  # a finite product, however large, added to inf or NaN
    return _fma_rational(a, b, c)


def _fma_rational(a: float, b: float, c: float) -> float:
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        # an exact zero: -0.0 only when both terms are zeros of that sign (IEEE 754)
        return a * b + c if (a == 0.0 or b == 0.0) and c == 0.0 else 0.0
    try:
        return float(exact)  # the integer division rounds once, correctly, subnormals too
    except OverflowError:  # raised for anything past the largest double, even if it rounds to it
        big = sys.float_info.max if abs(exact) < _PAST_MAX_HALFWAY else math.inf
        return big if exact > 0 else -big


def _fma32(a: float, b: float, c: float) -> np.float32:
    p = a * b  # exact: 24 + 24 significant bits, and no float32 product leaves float64's range
    s = p + c  # non-finite operands: right as it is (p is inf or NaN only if a or b is)
    if s - s == 0.0:
        # two-sum: the exact p + c is s + err; if inexact, round to odd (the neighbour of s
        # toward err when s's last bit is even; s is a normal double or 0 here)
        v = s - p
        err = (p - (s - v)) + (c - v)
        if err != 0.0 and int(math.frexp(s)[0] * _TWO_53) & 1 == 0:
            s = math.nextafter(s, math.inf if err > 0.0 else -math.inf)
        if abs(s) >= _F32_PAST_MAX_HALFWAY:  # rounds to inf: say so without NumPy's warning
            return np.float32(math.inf if s > 0.0 else -math.inf)
    return np.float32(s)


def fma(a, b, c):
    """``a * b + c`` rounded once: to float32 when all three are ``numpy.float32``, else to
    float64.

    Parameters
    ----------
    a, b, c : float or numpy floating scalar
        The operands.

    Returns
    -------
    float or numpy.float32
        The exact ``a * b + c``, rounded once to nearest (ties to even).

    Examples
    --------
    >>> from loopmlp.kernels._fma import fma
    >>> a = 1.0 + 2.0**-30
    >>> fma(a, a, -(1.0 + 2.0**-29)) == 2.0**-60, a * a - (1.0 + 2.0**-29)
    (True, 0.0)
    """
    if type(a) is np.float32 and type(b) is np.float32 and type(c) is np.float32:
        return _fma32(float(a), float(b), float(c))
    return _fma64(float(a), float(b), float(c))


# Python 3.13+: math.fma, the C library's, correctly rounded (and faster)
_fma64 = getattr(math, "fma", _fma64_exact)


# ------------------------------------------------------------------------------------------
# The rewrite: s += a * b  and  s = s + a * b  ->  s = fma(a, b, s)
# ------------------------------------------------------------------------------------------


class _Fuse(ast.NodeTransformer):
    """Every multiply-add into an accumulator, as one ``fma`` call. Only these two forms: an
    ``x = y + a * b`` with ``y`` not ``x`` is not a sum carried by ``x`` (it is an index,
    in the loops this rewrites), and is left alone."""

    count = 0

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        if isinstance(node.op, ast.Add) and _is_product(node.value):
            return self._fused(node, node.target, node.value)
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        v = node.value
        if (
            len(node.targets) == 1
            and isinstance(v, ast.BinOp)
            and isinstance(v.op, ast.Add)
            and _is_product(v.right)
            and ast.unparse(v.left) == ast.unparse(node.targets[0])
        ):
            return self._fused(node, node.targets[0], v.right)
        return node

    def _fused(self, node: ast.stmt, target: ast.expr, product: ast.expr) -> ast.AST:
        assert isinstance(product, ast.BinOp)
        self.count += 1
        acc = ast.parse(ast.unparse(target), mode="eval").body  # the target, as a value
        call = ast.Call(ast.Name("fma", ast.Load()), [product.left, product.right, acc], [])
        return ast.copy_location(ast.Assign([target], call), node)


def _is_product(node: ast.expr) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)


def fused(module: types.ModuleType, names, bind: dict | None = None) -> types.ModuleType:
    """A copy of ``module`` whose functions ``names`` are rewritten to the FMA mode.

    Every function of the copy is compiled from ``module``'s own file (the same line
    numbers, so tracebacks and numba's cache point at the source), in one namespace: calls
    between them go to the copies. ``fma`` is :func:`fma` there unless ``bind`` rebinds it.

    Parameters
    ----------
    module : module
        ``_reference`` or ``_rearranged``.
    names : iterable of str
        The functions to rewrite; the others are copied as they are.
    bind : dict, optional
        Names to set in the copy's namespace after it runs.

    Returns
    -------
    module
        The copy; not in ``sys.modules``.
    """
    names = set(names)
    path = inspect.getsourcefile(module)
    if path is None:
        raise ValueError(f"{module.__name__} has no source file to rewrite")
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    fuse = _Fuse()
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef) and node.name in names:
            tree.body[i] = fuse.visit(node)
            names.discard(node.name)
    if names:
        raise ValueError(f"{module.__name__} has no function(s) {sorted(names)}")
    # The copy's functions say they belong to ``module`` (their ``__module__``), which is
    # importable: numba's cache reloads a function's module by that name in a new process.
    copy = types.ModuleType(module.__name__, module.__doc__)
    copy.__file__ = path
    copy.__package__ = module.__package__
    copy.__dict__["FUSED"] = fuse.count  # how many multiply-adds became fma calls
    exec(compile(ast.fix_missing_locations(tree), path, "exec"), copy.__dict__)
    copy.__dict__.update(fma=fma, **(bind or {}))
    return copy
