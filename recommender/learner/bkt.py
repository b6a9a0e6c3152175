"""Bayesian knowledge tracing (Corbett & Anderson, 1994): one hidden known/unknown state per skill.

Per skill four numbers: the chance the learner knows it before the first exercise (`init`), of
learning it at each exercise (`learn`), of answering right without knowing it (`guess`) and of
answering wrong although knowing it (`slip`). They are fitted by expectation-maximisation
(Baum-Welch over every learner's answers to that skill at once, as padded arrays). Guess and slip
are capped (0.3 by default) as usual, so that "knows it" keeps meaning "answers it right".

Written here rather than taken from pyBKT: its current release (1.4.3) fails on import with the
scikit-learn the project uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from recommender.learner.sequences import Responses, n_skills

DEFAULTS = (0.4, 0.1, 0.2, 0.1)  # init, learn, guess, slip: where EM starts and unseen skills stay


@dataclass
class BKT:
    """Per-skill BKT parameters; `predict` gives each answer's chance of being right beforehand."""

    max_guess: float = 0.3
    max_slip: float = 0.3
    iterations: int = 30
    # [skills, 4]: init, learn, guess, slip
    params: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))

    def fit(self, data: Sequence[Responses], skills: int | None = None) -> BKT:
        count = max(skills or 0, n_skills(data))
        self.params = np.tile(np.array(DEFAULTS), (count, 1))
        by_skill: list[list[list[int]]] = [[] for _ in range(count)]
        for learner in data:
            runs: dict[int, list[int]] = {}
            for s, c in zip(learner.skills, learner.correct, strict=True):
                runs.setdefault(s, []).append(c)
            for s, answers in runs.items():
                by_skill[s].append(answers)
        for s, runs_of_skill in enumerate(by_skill):
            if runs_of_skill:
                self.params[s] = self._fit_skill(runs_of_skill)
        return self

    def _fit_skill(self, runs: list[list[int]]) -> np.ndarray:
        length = max(len(r) for r in runs)
        obs = np.zeros((len(runs), length))
        mask = np.zeros((len(runs), length), dtype=bool)
        for i, r in enumerate(runs):
            obs[i, : len(r)], mask[i, : len(r)] = r, True
        init, learn, guess, slip = DEFAULTS
        for _ in range(self.iterations):
            # emission probabilities of each observation under (unknown, known)
            e_known = np.where(obs == 1, 1 - slip, slip)
            e_unknown = np.where(obs == 1, guess, 1 - guess)
            alpha = np.zeros((len(runs), length, 2))
            scale = np.ones((len(runs), length))
            a = np.stack([(1 - init) * e_unknown[:, 0], init * e_known[:, 0]], axis=1)
            for t in range(length):
                if t:
                    prev = alpha[:, t - 1]
                    a = np.stack([prev[:, 0] * (1 - learn) * e_unknown[:, t],
                                  (prev[:, 0] * learn + prev[:, 1]) * e_known[:, t]], axis=1)
                    a = np.where(mask[:, t, None], a, prev)  # past the end: carry the state unchanged
                scale[:, t] = a.sum(1)
                alpha[:, t] = a / scale[:, t, None]
            beta = np.ones((len(runs), length, 2))
            for t in range(length - 2, -1, -1):
                nxt = beta[:, t + 1] * np.stack([e_unknown[:, t + 1], e_known[:, t + 1]], axis=1)
                b = np.stack([(1 - learn) * nxt[:, 0] + learn * nxt[:, 1], nxt[:, 1]], axis=1)
                b = b / scale[:, t + 1, None]
                beta[:, t] = np.where(mask[:, t + 1, None], b, beta[:, t + 1])
            gamma = alpha * beta
            gamma /= gamma.sum(2, keepdims=True)
            # expected unknown -> known transitions between consecutive answers
            both = mask[:, 1:]
            nxt = beta[:, 1:, 1] * e_known[:, 1:] / scale[:, 1:]
            xi = alpha[:, :-1, 0] * learn * nxt
            unknown_before = gamma[:, :-1, 0][both].sum()
            init = float(gamma[:, 0, 1].mean())
            learn = float(xi[both].sum() / max(unknown_before, 1e-9))
            g_unknown, g_known = gamma[..., 0][mask], gamma[..., 1][mask]
            right = obs[mask]
            guess = float((g_unknown * right).sum() / max(g_unknown.sum(), 1e-9))
            slip = float((g_known * (1 - right)).sum() / max(g_known.sum(), 1e-9))
            init, learn = min(max(init, 1e-4), 1 - 1e-4), min(max(learn, 1e-4), 1 - 1e-4)
            guess, slip = min(max(guess, 1e-4), self.max_guess), min(max(slip, 1e-4), self.max_slip)
        return np.array([init, learn, guess, slip])

    def predict(self, data: Sequence[Responses]) -> list[np.ndarray]:
        """For each learner, the chance of each answer being right given the answers before it."""
        return [self.trace(r)[0] for r in data]

    def trace(self, learner: Responses) -> tuple[np.ndarray, dict[int, float]]:
        """(the chance of each answer being right beforehand, P(known) of each skill at the end)."""
        known: dict[int, float] = {}
        out = np.zeros(len(learner))
        for t, (s, c) in enumerate(zip(learner.skills, learner.correct, strict=True)):
            init, learn, guess, slip = self.params[s] if s < len(self.params) else DEFAULTS
            p = known.get(s, init)
            out[t] = p * (1 - slip) + (1 - p) * guess
            posterior = p * (1 - slip) / out[t] if c else p * slip / (1 - out[t])
            known[s] = posterior + (1 - posterior) * learn
        return out, known
