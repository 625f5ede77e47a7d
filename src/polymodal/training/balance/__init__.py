"""Balanced multimodal learning: the computations of each method, apart from the training loop.

Each module holds one method's rule as functions of tensors, so that it can be checked against a
hand computation: OGM-GE's gradient coefficients (:mod:`.ogm`), AGM's Shapley decomposition and
coefficients (:mod:`.shapley`, :mod:`.agm`), MMPareto's min-norm combination (:mod:`.min_norm`),
Gradient Blending's loss weights (:mod:`.gradient_blending`) and PMR's prototypes
(:mod:`.prototypes`).
"""
