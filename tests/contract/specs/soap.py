"""SOAPDescriptor and SOAPSumKernel in the contract suite."""

import numpy as np

from skscatter import SOAPDescriptor, SOAPSumKernel

from ..registry import Spec


def molecules(rng, n=6, species=(1, 6, 8)):
    """Random molecules with atoms at least 0.8 Å apart."""
    mols = []
    while len(mols) < n:
        k = int(rng.integers(2, 8))
        pos = rng.uniform(-2.0, 2.0, size=(k, 3))
        d = np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1) + 1e9 * np.eye(k))
        if d.min() > 0.8:
            mols.append((rng.choice(species, size=k), pos))
    return mols


DESCRIPTOR = Spec(
    cls=SOAPDescriptor,
    params=dict(r_cut=3.0, n_max=2, l_max=2),
    make_X=molecules,
    input_kind="structures",
    alternatives=dict(),
    backends=("numpy", "numba"),
    rtol=1e-10,
)

SUM_KERNEL = Spec(
    cls=SOAPSumKernel,
    params=dict(descriptor=SOAPDescriptor(r_cut=3.0, n_max=2, l_max=2), n_representatives=8, random_state=0),
    make_X=molecules,
    input_kind="structures",
    alternatives=dict(),
    rtol=1e-10,
)
