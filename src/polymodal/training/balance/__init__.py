"""Balanced multimodal learning: methods that keep joint training from starving a modality.

Each module holds one method: its rule as functions of tensors, checked against hand
computations, and a :class:`~.base.Balancer` that applies it in the training step.
``TrainConfig(balance=NAME, balance_options={...})`` or ``--balance NAME --balance-option k=v``:

* ``gblend``: Gradient Blending (:mod:`.gradient_blending`);
* ``ogm``: OGM-GE (:mod:`.ogm`), for fusions whose prediction splits by modality;
* ``agm``: AGM (:mod:`.agm`, with :mod:`.shapley`);
* ``pmr``: PMR (:mod:`.prototypes`);
* ``mmpareto``: MMPareto (:mod:`.min_norm`);
* ``warmstart``: unimodal warm start (:mod:`.warm_start`);
* ``umt``: uni-modal teachers (:mod:`.teachers`).

:mod:`.choices` names them and checks their options; :mod:`.methods` builds one for a model.
"""
