"""The course's misconceptions, each named once: one key, one hint, one description.

A question's `Mistake` is the value a misconception produces on that question; its key is
a key of `SLIPS` and its hint is the slip's, so the same misconception reads the same in
every question and the class report can count it across the assignment. A hint may be a
format string with named parameters (``{z}``), filled by the question that diagnoses it
(`Slip.said`); the description says in one line, for instructors, what the student did.
The slips of state shared across a notebook (rows that are one array, given data or
arguments changed in place) are seen by the grader itself in the student's objects, not
computed by a question: their words are `grader.compare.state.DETECTED`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Any

from grader.compare.state import DETECTED


@dataclass(frozen=True)
class Slip:
    """One misconception: `hint` is shown to the student, `description` to instructors."""

    key: str
    hint: str
    description: str

    @property
    def parameters(self) -> frozenset[str]:
        """The names the hint's format string needs."""
        return frozenset(name for _, name, _, _ in Formatter().parse(self.hint) if name)

    def said(self, **params: Any) -> str:
        """The hint with its parameters filled in."""
        if set(params) != self.parameters:
            raise ValueError(
                f"slip {self.key!r} takes hint parameters {sorted(self.parameters)}, "
                f"got {sorted(params)}"
            )
        return self.hint.format(**params)


_CATALOGUE: tuple[Slip, ...] = (
    # --- dense layers: z = Xw + b -----------------------------------------------------
    Slip(
        "no-bias",
        "The bias seems to be left out: add b to the weighted sum, z = Xw + b, before any "
        "activation.",
        "Leaves the bias b out of z = Xw + b.",
    ),
    Slip(
        "bias-subtracted",
        "It looks like b was subtracted instead of added: z = Xw + b.",
        "Subtracts the bias instead of adding it.",
    ),
    Slip(
        "rows-columns-swapped",
        "Rows of X are observations and columns are input neurons (features): the two look "
        "swapped.",
        "Swaps the roles of X's rows (observations) and columns (input neurons).",
    ),
    Slip(
        "weights-transposed",
        "W[k, j] is the weight from input k to node j: each node's weights are a column of W "
        "(X @ W, not X @ W.T).",
        "Uses a weight matrix transposed (a node's weights are a column of W).",
    ),
    Slip(
        "weights-swapped",
        "x_i1 is multiplied by w_1 and x_i2 by w_2.",
        "Pairs each input with the other input's weight.",
    ),
    Slip(
        "nodes-swapped",
        "Node A uses the first column of W1 and node B the second.",
        "Swaps the values of the two hidden nodes.",
    ),
    # --- activations ------------------------------------------------------------------
    Slip(
        "sigmoid-sign",
        "σ(z) = 1/(1 + e^(−z)): the exponent's sign looks flipped.",
        "Writes the sigmoid with e^z instead of e^(−z).",
    ),
    Slip(
        "sigmoid-prime-for-sigmoid",
        "This is σ'(z) = σ(z)(1 − σ(z)), not σ(z).",
        "Gives the sigmoid's derivative where the sigmoid is asked.",
    ),
    Slip(
        "sigmoid-for-sigmoid-prime",
        "The chain rule needs the derivative σ'({z}) = σ({z})(1 − σ({z})), not σ({z}) itself.",
        "Uses the sigmoid where the chain rule needs its derivative.",
    ),
    Slip(
        "tanh-as-sigmoid",
        "This is σ(z); tanh(z) = (e^z − e^(−z))/(e^z + e^(−z)) ranges over (−1, 1).",
        "Gives the sigmoid where tanh is asked.",
    ),
    Slip(
        "relu-min",
        "ReLU keeps positive values and zeroes negative ones: max(0, z).",
        "Writes ReLU as min(0, z).",
    ),
    Slip(
        "softmax-unnormalised",
        "These are e^(z_j) without dividing by their sum (a row's sum, for a matrix), so they "
        "do not add up to 1.",
        "Leaves out the softmax's division by the sum of the exponentials.",
    ),
    Slip(
        "softmax-per-element",
        "Softmax normalises over the whole vector z, not over each element on its own (that "
        "gives all ones).",
        "Normalises each softmax term by itself (all ones).",
    ),
    Slip(
        "softmax-linear-normalisation",
        "Softmax divides e^(z_j) by Σ e^(z_k), not z_j by Σ z_k.",
        "Normalises the scores themselves instead of their exponentials.",
    ),
    Slip(
        "softmax-wrong-axis",
        "Each row (one observation) must add up to 1: normalise along axis=1, not down the "
        "columns.",
        "Normalises a softmax down the columns instead of along each row.",
    ),
    Slip(
        "softmax-whole-matrix",
        "Each row is normalised on its own: divide by the sum of its row (axis=1, "
        "keepdims=True), not by the sum of the whole matrix.",
        "Normalises a softmax by the sum of the whole matrix.",
    ),
    Slip(
        "softmax-unshifted",
        "e^z overflows for large scores (np.exp(1000.0) is inf, and inf / inf is NaN): "
        "subtract each row's largest score before exponentiating, which leaves the softmax "
        "unchanged.",
        "Exponentiates the scores unshifted, so large scores overflow to NaN.",
    ),
    Slip(
        "sigmoid-for-softmax",
        "A softmax output divides e^(z_j) by the sum of the e^(z_k) of its outputs; this is "
        "the sigmoid of each score.",
        "Uses the sigmoid where the output layer is a softmax.",
    ),
    Slip(
        "softmax-for-sigmoid",
        "A single output neuron uses the sigmoid on each z_i; a softmax over the column mixes "
        "the observations together.",
        "Uses a softmax over the observations where one output neuron takes the sigmoid.",
    ),
    Slip(
        "smaller-probability",
        "The predicted class is the output node with the larger softmax probability.",
        "Predicts the class with the smaller probability.",
    ),
    # --- losses -----------------------------------------------------------------------
    Slip(
        "sum-not-mean",
        "The loss is a mean over the observations, so it and its gradient divide by their "
        "number: this looks like the sum.",
        "Sums over the observations where the loss (or its gradient) is a mean.",
    ),
    Slip(
        "mean-not-sum",
        "The SSR is the sum of the squared residuals, not their mean: do not divide by the "
        "number of observations.",
        "Divides by the number of observations where the loss is a sum (the SSR).",
    ),
    Slip(
        "no-minus",
        "The cross-entropy is −[y log p + (1 − y) log(1 − p)]: the minus sign makes it positive.",
        "Leaves out the cross-entropy's minus sign.",
    ),
    Slip(
        "log10",
        "Use the natural logarithm (np.log), not log base 10.",
        "Takes logarithms in base 10.",
    ),
    Slip(
        "one-term",
        "For y = 0 the loss is −log(1 − p): keep the (1 − y) log(1 − p) term.",
        "Keeps only the y log p term of the cross-entropy.",
    ),
    Slip(
        "terms-swapped",
        "y goes with log p and (1 − y) with log(1 − p).",
        "Swaps the two log terms of the cross-entropy.",
    ),
    Slip(
        "absolute-error",
        "This is |p − y|; the squared error is (p − y)².",
        "Gives the absolute error where the squared error is asked.",
    ),
    Slip(
        "as-if-y-is-one",
        "The squared error compares p with each observation's own y, not with 1.",
        "Compares every prediction with 1 instead of its own target.",
    ),
    Slip(
        "accuracy-bounded",
        "A loss need not be unbounded: the squared error of a probability also lies between "
        "0 and 1.",
        "Thinks accuracy fails as a loss because it is bounded.",
    ),
    Slip(
        "accuracy-imbalance",
        "Imbalance is a reason to report other metrics beside accuracy; it is not why "
        "accuracy fails as a loss.",
        "Thinks class imbalance is why accuracy cannot be a loss.",
    ),
    Slip(
        "accuracy-slow",
        "Counting right answers is cheap: speed is not why.",
        "Thinks accuracy is too slow to be a loss.",
    ),
    Slip(
        "accuracy-maximised",
        "Maximising accuracy is minimising 1 − accuracy: that is not why.",
        "Thinks accuracy cannot be a loss because it is maximised.",
    ),
    Slip(
        "threshold-inclusive",
        "An observation is predicted positive when p > {threshold}; one with p exactly "
        "{threshold} stays negative.",
        "Predicts positive at p equal to the threshold (>= instead of >).",
    ),
    Slip(
        "confusion-transposed",
        "Rows are the true classes and columns the predicted ones (confusion_matrix(y_true, "
        "y_pred)).",
        "Transposes the confusion matrix (predicted classes as rows).",
    ),
    Slip(
        "positive-first",
        "Class 0 comes first: row and column 0 are the negatives.",
        "Orders the confusion matrix with the positive class first.",
    ),
    # --- gradients --------------------------------------------------------------------
    Slip(
        "gradient-sign",
        "A sign looks flipped: the error is ŷ − y (prediction minus target), and gradient "
        "descent steps against the gradient, θ − η∇L.",
        "Flips a sign of gradient descent: the error as y − ŷ, or a step up the gradient.",
    ),
    Slip(
        "factor-2",
        "The derivative of a square u² is 2u·u': the gradient's factor 2 seems to be missing.",
        "Drops the factor 2 of the derivative of a squared error.",
    ),
    Slip(
        "order-swapped",
        "The order is (slope, intercept), for θ as for its gradient: the two look swapped.",
        "Swaps the slope and the intercept in θ or in its gradient.",
    ),
    Slip(
        "squared-error-for-bce",
        "That is the gradient of the squared error of σ(z); differentiate the binary "
        "cross-entropy instead (its log terms cancel the σ'(z) factor).",
        "Differentiates the squared error where the loss is the binary cross-entropy.",
    ),
    Slip(
        "no-sigmoid",
        "ŷ = σ(Xw + b): the sigmoid seems to be missing from the prediction.",
        "Leaves the sigmoid out of logistic regression's prediction.",
    ),
    Slip(
        "divided-by-all-rows",
        "Divide by the number of observations in the mini-batch, not in the whole data set.",
        "Averages a mini-batch's gradient over every observation of the data set.",
    ),
    Slip(
        "whole-data-set",
        "Use only the first mini-batch (rows 1 to 3), not all the observations.",
        "Takes the gradient on the whole data set instead of the mini-batch.",
    ),
    Slip(
        "exp-derivative-missing",
        "δ2 = ∂L/∂ŷ · ∂ŷ/∂z2 with ∂ŷ/∂z2 = e^(z2): that factor seems to be missing.",
        "Leaves the exponential output's derivative out of δ2.",
    ),
    Slip(
        "weight-missing",
        "z2 = v1 σ(z11) + v2 σ(z12), so ∂z2/∂σ(z1{j}) = v{j}: that factor seems missing.",
        "Leaves the outgoing weight out of a hidden node's delta.",
    ),
    Slip(
        "other-weight",
        "Hidden node {j} reaches the output through v{j}, not v{other}.",
        "Uses the other hidden node's outgoing weight in a delta.",
    ),
    Slip(
        "missing-chain-factor",
        "By the chain rule ∂ŷᵢ/∂w = xᵢ multiplies each term: it seems to be missing.",
        "Leaves the inner derivative ∂ŷ/∂w = x out of the chain rule.",
    ),
    Slip(
        "extra-chain-factor",
        "∂ŷᵢ/∂b = 1, so the terms are not multiplied by xᵢ (that is ∂L/∂w).",
        "Multiplies ∂L/∂b by x, as if it were ∂L/∂w.",
    ),
    Slip(
        "gradient-transposed",
        "{name} has the shape of its weights ({shape}): it looks transposed.",
        "Gives a weight gradient transposed.",
    ),
    # --- gradient descent's steps -----------------------------------------------------
    Slip(
        "no-learning-rate",
        "The step is the gradient times the learning rate η.",
        "Steps by the gradient itself, without the learning rate.",
    ),
    Slip(
        "wrong-learning-rate",
        "The learning rate looks wrong: use the one given for this question.",
        "Uses another learning rate than the question's (another question's, ten times off).",
    ),
    Slip(
        "gradient-before-update",
        "Each gradient is taken at the θ the previous update reached, not at the θ before it.",
        "Takes a step's gradient at the θ before the previous update.",
    ),
    Slip(
        "sequential-update",
        "Take every derivative at the same θ before updating any parameter: the second "
        "derivative seems to be taken after the first parameter was updated.",
        "Updates one parameter before taking the next one's derivative (sequential update).",
    ),
    Slip(
        "one-step-behind",
        "Row t holds θ after step t: this is the θ before that step (was θ0 included as the "
        "first row?).",
        "Gives each θ one step late: the θ before the step (θ0 as the first row).",
    ),
    Slip(
        "one-step-ahead",
        "Row t holds θ after step t: this is the θ one step further.",
        "Gives each θ one step early: one update too many.",
    ),
    Slip(
        "converging-listed",
        "These are the rates whose loss went down; a diverging run ends with a larger loss "
        "than it started with.",
        "Lists the learning rates that converge where those that diverge are asked.",
    ),
    Slip(
        "not-trained",
        "These are the initial weights: give the weights after training, each update starting "
        "from the weights the one before left.",
        "Gives the initial weights where the trained ones are asked.",
    ),
    Slip(
        "from-scratch-weights",
        "These are the weights plain batch gradient descent reaches (bp.nn.train); here Keras "
        "trains the network with Adam, which ends elsewhere.",
        "Gives the weights of plain gradient descent where Keras's Adam trained the network.",
    ),
    # --- optimisers and averages ------------------------------------------------------
    Slip(
        "beta-swapped",
        "β weighs the previous average and (1 − β) the new term: the two look swapped.",
        "Swaps β and 1 − β in an exponentially weighted average.",
    ),
    Slip(
        "no-1-minus-beta",
        "An exponentially weighted average takes (1 − β) of each new term, V_t = β V_{{t−1}} + "
        "(1 − β) θ_t: the factor (1 − β) seems to be missing.",
        "Leaves out the factor (1 − β) of an exponentially weighted average.",
    ),
    Slip(
        "no-momentum",
        "These are plain gradient-descent steps: move by lr v_t, the running average of the "
        "gradients, not by lr g_t.",
        "Steps by the gradient instead of momentum's running average.",
    ),
    Slip(
        "no-sqrt",
        "The learning rate is divided by the square root of ε + Σ g², not by the sum itself.",
        "Leaves out Adagrad's square root.",
    ),
    Slip(
        "no-accumulation",
        "The denominator sums the squares of all the gradients so far, not only the current one.",
        "Divides Adagrad's step by the current gradient only, not the sum so far.",
    ),
    Slip(
        "plain-sum",
        "RMSProp divides by the root of a running average of the squared gradients, s_t = β "
        "s_{{t−1}} + (1 − β) g_t², not of their plain sum (that is Adagrad).",
        "Uses Adagrad's plain sum where RMSProp keeps a running average.",
    ),
    Slip(
        "no-bias-correction",
        "An average started from 0 is biased towards 0: divide it by 1 − β^t (m̂_t = m_t / "
        "(1 − β1^t), v̂_t = v_t / (1 − β2^t)).",
        "Leaves out the bias correction of an average started from 0.",
    ),
    Slip(
        "no-power-t",
        "The bias correction divides by 1 − β^t, with the power t (the Adam slide's 1 − β1 "
        "is a slip; the bias-correction slide has it right).",
        "Corrects the bias with 1 − β instead of 1 − β^t.",
    ),
    Slip(
        "power-t-plus-1",
        "The bias correction of step t divides by 1 − β^t, with t = 1 at the first step: "
        "this looks like the power t + 1 (a step count one ahead).",
        "Corrects the bias with the power t + 1 instead of t.",
    ),
    Slip(
        "bias-corrected",
        "This is the bias-corrected average; here V_t itself is asked.",
        "Gives the bias-corrected average where the plain one is asked.",
    ),
    Slip(
        "started-at-theta1",
        "The average starts from V_0 = 0, not from the first temperature (as pandas' "
        "ewm(..., adjust=False) does).",
        "Starts an exponentially weighted average from the first value instead of 0.",
    ),
    Slip(
        "V97-as-theta",
        "V97 is not a new observation: unrolling V100 three times leaves it with β·β·β and no "
        "factor (1 − β).",
        "Weighs an unrolled average's last term like a new observation.",
    ),
    Slip(
        "one-power-off",
        "V97 is three recursions back from V100: count the factors of β again.",
        "Miscounts the powers of β when unrolling an average.",
    ),
    Slip(
        "keras-uncorrected",
        "Keras does correct the bias: its step size α_t depends on t.",
        "Thinks Keras's Adam has no bias correction.",
    ),
    Slip(
        "keras-epsilon-inside-root",
        "Keras adds ε outside the square root; compare where ε sits with the slides' √v̂_t + ε.",
        "Thinks Keras's Adam adds ε inside the square root.",
    ),
    Slip(
        "keras-no-power-t",
        "Keras's step size uses the powers β1^t and β2^t.",
        "Thinks Keras's Adam corrects the bias without the power t.",
    ),
    Slip(
        "keras-same-as-slides",
        "Run both forms with a large ε (say 0.1) from the same state: they differ.",
        "Thinks Keras's Adam is exactly the slides' form.",
    ),
    # --- state shared across a notebook: seen by the grader in the student's objects --
    *(Slip(key, slip.hint, slip.description) for key, slip in DETECTED.items()),
)


def _by_key(catalogue: tuple[Slip, ...]) -> dict[str, Slip]:
    found: dict[str, Slip] = {}
    for slip in catalogue:
        if slip.key in found:
            raise ValueError(f"slip {slip.key!r} is catalogued twice")
        found[slip.key] = slip
    return found


#: Every misconception of the course by key, in the order of the course's topics.
SLIPS: Mapping[str, Slip] = _by_key(_CATALOGUE)
