"""The deep net's int codes of activations and losses agree everywhere they are written.

``_reference.py`` defines them (``SIGMOID = 0`` ...); ``net.py`` maps the public names to
them, and the Python backends import them from the reference. The Cython builds cannot:
``_cython_deep.pxi`` declares its own ``cdef enum`` and exports it as ``NET_CODES``. A code
that differed would run another activation or loss than the caller asked for.
"""

import pytest

from loopmlp import net
from loopmlp.kernels import _numpy, _rearranged, _reference

ACTIVATIONS = ("SIGMOID", "TANH", "RELU", "IDENTITY", "SOFTMAX")
LOSSES = ("MSE", "CROSS_ENTROPY")
REFERENCE = {name: getattr(_reference, name) for name in ACTIVATIONS + LOSSES}
BUILDS = ("_cython", "_cython_avx2", "_cython_avx512")


def test_the_references_codes_are_distinct_ints():
    for names in (ACTIVATIONS, LOSSES):
        codes = [REFERENCE[name] for name in names]
        assert all(type(code) is int for code in codes)
        assert len(set(codes)) == len(codes)


def test_net_py_maps_each_public_name_to_the_references_code():
    public = {**net.ACTIVATIONS, **net.OUTPUT, **net.LOSSES}
    assert {name.upper(): code for name, code in public.items()} == REFERENCE
    assert {name.upper() for name in net.LOSSES} == set(LOSSES)


@pytest.mark.parametrize("module", [net, _numpy, _rearranged], ids=lambda m: m.__name__)
def test_the_python_modules_use_the_references_codes(module):
    used = {name: getattr(module, name) for name in REFERENCE if hasattr(module, name)}
    assert used == {name: REFERENCE[name] for name in used}


@pytest.mark.parametrize("build", BUILDS)
def test_every_cython_build_has_the_references_codes(build):
    from loopmlp.kernels import _cython

    if build != "_cython" and not getattr(_cython, f"CPU_HAS_{build[8:].upper()}"):
        pytest.skip(f"this CPU cannot run {build}")
    module = __import__(f"loopmlp.kernels.{build}", fromlist=["NET_CODES"])
    assert module.NET_CODES == REFERENCE
