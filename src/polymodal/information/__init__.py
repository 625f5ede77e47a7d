"""Information theory on discrete distributions: entropy, mutual information and relatives.

Joint distributions are NumPy arrays with one axis per variable; :func:`empirical_joint` makes
one from integer samples (plug-in estimate). Units: bits by default, ``base=np.e`` for nats.
:func:`pid` gives the exact partial information decomposition (redundancy, uniqueness, synergy) of
two sources about a target, with a certificate of how exact it is.
"""

from polymodal.information.distributions import DistributionError, check_joint, empirical_joint
from polymodal.information.measures import (
    co_information,
    conditional_entropy,
    conditional_mutual_information,
    entropy,
    kl_divergence,
    marginal,
    mutual_information,
)
from polymodal.information.pid import PIDResult, pid

__all__ = [
    "DistributionError", "check_joint", "co_information", "conditional_entropy", "conditional_mutual_information",
    "empirical_joint", "entropy", "kl_divergence", "marginal", "mutual_information", "PIDResult", "pid",
]
