"""The learned scorer: a gradient-boosted model trained on the outcomes officers recorded, with monotone
constraints (more arrears never lowers the risk), calibrated probabilities and reasons taken from the model's own
contributions. Like the scorecard, its list is advice; an officer decides (PIPA art. 37-2).

Modules: `features` (what each feature column means, its constraint and its Korean wording), `calibration`,
`train` (fit, save, verify and load a model file), `scorer` (ModelScorer for screening rounds) and `evaluate` (the
measures; the model card that reports them on a synthetic city is the lab's, `dolbom.lab.card`).
"""
