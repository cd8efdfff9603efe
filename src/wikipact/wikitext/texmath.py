"""TeX from ``<math>`` as readable plain text: ``\\frac{a}{b}`` -> ``a/b``, ``\\alpha`` -> ``α``.

Not a TeX engine: a handful of linear substitutions that turn the usual Wikipedia formulas into
what a reader would type, with no braces or backslashes left over.
"""

from __future__ import annotations

import re

SYMBOLS = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "ϑ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    "times": "×",
    "cdot": "·",
    "pm": "±",
    "mp": "∓",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "equiv": "≡",
    "sim": "∼",
    "propto": "∝",
    "infty": "∞",
    "sum": "Σ",
    "prod": "Π",
    "int": "∫",
    "oint": "∮",
    "partial": "∂",
    "nabla": "∇",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "Leftrightarrow": "⇔",
    "mapsto": "↦",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "subseteq": "⊆",
    "cup": "∪",
    "cap": "∩",
    "emptyset": "∅",
    "forall": "∀",
    "exists": "∃",
    "neg": "¬",
    "wedge": "∧",
    "vee": "∨",
    "langle": "⟨",
    "rangle": "⟩",
    "ldots": "…",
    "cdots": "⋯",
    "dots": "…",
    "circ": "∘",
    "degree": "°",
    "hbar": "ħ",
    "ell": "ℓ",
    "sqrt": "√",
    "div": "÷",
    "ast": "∗",
    "star": "⋆",
    "prime": "′",
    "mid": "∣",
    "vert": "∣",
    "lvert": "∣",
    "rvert": "∣",
    "Vert": "‖",
    "parallel": "∥",
    "perp": "⊥",
    "angle": "∠",
}
_DROP = re.compile(
    r"\\(?:left|right|big|Big|bigg|Bigg|displaystyle|textstyle|scriptstyle|limits|nolimits"
    r"|quad|qquad|rm|it|bf|sf|tt|cal|,|;|:|!| )(?![A-Za-z])"
)
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_SQRT = re.compile(r"\\sqrt\s*\{([^{}]*)\}")
_STYLE = re.compile(
    r"\\(?:mathrm|mathbf|mathit|mathsf|mathtt|mathcal|mathbb|boldsymbol|text|textrm|textit"
    r"|textbf|operatorname|mbox|hbox|bar|overline|hat|tilde|vec|dot|ddot|underline)\s*\{([^{}]*)\}"
)
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_SCRIPT = re.compile(r"([_^])\{([^{}]*)\}")


def tex_to_text(tex: str) -> str:
    text = _DROP.sub(" ", tex)
    for _ in range(4):  # nested constructs, innermost first
        before = text
        text = _FRAC.sub(r"(\1)/(\2)", text)
        text = _SQRT.sub(r"√(\1)", text)
        text = _STYLE.sub(r"\1", text)
        text = _SCRIPT.sub(r"\1\2", text)
        if text == before:
            break
    text = _COMMAND.sub(lambda m: SYMBOLS.get(m.group(1), m.group(1)), text)
    text = text.replace("{", "").replace("}", "").replace("~", " ").replace("\\", "")
    text = text.replace("|", "∣").replace("&", " ")
    return " ".join(text.split())
