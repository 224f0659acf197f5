"""Exact answers for every computation of the course, in float64 NumPy (and SymPy).

Modules follow the lectures: `layers` (z = Xw + b), `activations`, `losses`,
`regression` (gradient descent for linear and logistic regression), `optimisers` (the
slides' momentum, Adagrad, RMSProp, Adam), `keras_optimisers` (Keras's own forms),
`network` (backprop of the 3-2-1 network and of a general dense network), `symbolic`
(SymPy derivations), `keras_models` (Keras builders, imported lazily) and `data`.

Importing `reference` imports NumPy only.
"""
