"""The contract of every distillation loss: one batch in, one loss per position out.

A *position* is one training example of the student: a user's history prefix
and the next item (the ground truth). A batch holds ``N`` positions over a
catalogue of ``I`` items. The teacher is seen through :class:`KDInputs`: its
top-``M`` items per position (history items already removed, best first), their
logits, and the logsumexp of its logits over the whole catalogue, which makes
the teacher's exact probability of any top-``M`` item (and of the rest of the
catalogue as one bucket) known even when only the top-``M`` is cached.

A :class:`KDMethod` is a ``torch.nn.Module`` (some own trainable parameters that
exist only during training: DE experts, hint projections) whose ``forward``
returns an ``N`` vector; reducing it and mixing it with the ground-truth loss
is :class:`recdistill.distill.mixer.KDMixer`'s job. Methods never let a gradient
reach a teacher tensor (they detach them).

Build methods by name with :func:`build_method`; every method's typed config
is a frozen pydantic :class:`MethodConfig` that rejects unknown keys, tagged by
its ``kind`` (the method's name), so a recipe's ``methods`` validate as one
discriminated union (:func:`parse_method`). A config also says what the method
needs from the teacher (``teacher_top_needed``, ``uses_repr``), so a recipe can
be checked before anything is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, ClassVar, TypeVar, Union

import torch
from pydantic import Field, TypeAdapter, ValidationError
from torch import Tensor, nn

from recdistill.errors import ConfigError
from recdistill.models.base import ModelConfig


@dataclass
class KDInputs:
    """One batch of ``N`` training positions (a position = a user's history prefix).

    Attributes:
        student_logits: ``N x I`` float, student scores over the whole catalogue.
            Items scored ``-inf`` (e.g. a padding id) are never sampled as negatives.
        targets: ``N`` long, the ground-truth next item.
        teacher_top_ids: ``N x M`` long, the teacher's top-``M`` items, best first,
            history items already removed.
        teacher_top_logits: ``N x M`` float, the teacher's logits of those items.
        teacher_logsumexp: ``N`` float, logsumexp of the teacher's logits over the
            whole catalogue, so ``p_t(i) = exp(t_i - lse)`` is exact for top-``M`` items.
        teacher_logits: ``N x I`` float, only when the teacher runs online.
        student_repr: ``N x Ds``, the student's query (user) representation.
        teacher_repr: ``N x Dt``, the teacher's.
        item_popularity: ``I`` float, training counts (popularity-aware variants).
        seen: ``N x I`` bool, items in the position's history (never sampled as
            negatives; excluded when ranking the student); None when no method
            of the recipe reads it.
        student_logsumexp: ``N``, the logsumexp of ``student_logits`` when the caller
            computed it already (float32, with gradient); in the sampled form, its
            estimate.
        student_top_logits: ``N x M``, the student's logits of the teacher's top-``M``
            items; given instead of ``student_logits`` in the *sampled form* (a large
            catalogue whose student trains with a sampled softmax: no ``N x I`` array
            at all), read through :meth:`student_top`.
        student_log_rest: ``N``, the sampled form's estimate of the log of the
            student's probability outside the top-``M`` (read by
            :meth:`student_rest`).
        catalogue: ``I`` in the sampled form (there is no ``student_logits`` to read it
            from).

    Methods that read the student's score of arbitrary items call
    :meth:`full_logits`, which names the method when the batch is in the sampled
    form; those that need only the top-``M`` and the logsumexp (listwise, cached)
    set :attr:`KDMethod.reads_top_only` and work in both forms.
    """

    student_logits: Tensor | None
    targets: Tensor
    teacher_top_ids: Tensor
    teacher_top_logits: Tensor
    teacher_logsumexp: Tensor
    teacher_logits: Tensor | None = None
    student_repr: Tensor | None = None
    teacher_repr: Tensor | None = None
    item_popularity: Tensor | None = None
    seen: Tensor | None = None
    student_logsumexp: Tensor | None = None
    student_top_logits: Tensor | None = None
    student_log_rest: Tensor | None = None
    catalogue: int | None = None

    @property
    def n_items(self) -> int:
        if self.student_logits is None:
            if self.catalogue is None:
                raise ValueError("KDInputs: the sampled form needs 'catalogue' (I)")
            return self.catalogue
        return int(self.student_logits.shape[1])

    @property
    def device(self) -> torch.device:
        return self.targets.device

    def full_logits(self, method: str) -> Tensor:
        """``N x I`` student logits; ``ValueError`` naming ``method`` in the sampled form."""
        if self.student_logits is None:
            raise ValueError(
                f"distillation method '{method}' reads the student's score of any item; "
                "this batch holds only its scores of the teacher's top-M (the sampled form)"
            )
        return self.student_logits

    def student_top(self) -> Tensor:
        """``N x M``: the student's logits of the teacher's top-``M`` items."""
        if self.student_top_logits is not None:
            return self.student_top_logits
        return self.full_logits("student_top").gather(1, self.teacher_top_ids)

    def student_lse(self) -> Tensor:
        """``N``: the student's logsumexp over the catalogue (given, or computed)."""
        if self.student_logsumexp is not None:
            return self.student_logsumexp
        return torch.logsumexp(self.full_logits("student_lse").float(), dim=1)

    @property
    def top_m(self) -> int:
        return int(self.teacher_top_ids.shape[1])

    @classmethod
    def from_teacher_logits(
        cls,
        student_logits: Tensor,
        targets: Tensor,
        teacher_logits: Tensor,
        m: int,
        *,
        seen: Tensor | None = None,
        keep_full: bool = True,
        **extra: Any,
    ) -> KDInputs:
        """Inputs from the teacher's full ``N x I`` logits (the online teacher).

        The top-``m`` skips ``seen`` items; ``keep_full=False`` drops the full
        logits, which reproduces exactly what a top-``m`` cache would hold.
        ``extra`` passes the optional fields (``student_repr``, ...).
        """
        t = teacher_logits.detach()
        masked = t if seen is None else t.masked_fill(seen, float("-inf"))
        top_logits, top_ids = masked.topk(min(m, t.shape[1]), dim=1)
        return cls(
            student_logits=student_logits,
            targets=targets,
            teacher_top_ids=top_ids,
            teacher_top_logits=top_logits,
            teacher_logsumexp=torch.logsumexp(t.float(), dim=1),
            teacher_logits=t if keep_full else None,
            seen=seen,
            **extra,
        )

    def validate(self) -> None:
        """Check shapes and dtypes; raises ``ValueError`` naming the field."""
        s = self.student_logits
        if s is None:
            if self.student_top_logits is None or self.student_logsumexp is None:
                raise ValueError(
                    "KDInputs: without student_logits, student_top_logits and "
                    "student_logsumexp are required (the sampled form)"
                )
            n, i = int(self.targets.shape[0]), self.n_items
        elif s.dim() != 2:
            raise ValueError(f"KDInputs.student_logits: expected N x I, got {tuple(s.shape)}")
        else:
            n, i = s.shape
        want: dict[str, tuple[Tensor | None, tuple[int | None, ...]]] = {
            "targets": (self.targets, (n,)),
            "teacher_top_ids": (self.teacher_top_ids, (n, None)),
            "teacher_top_logits": (self.teacher_top_logits, (n, self.top_m)),
            "teacher_logsumexp": (self.teacher_logsumexp, (n,)),
            "teacher_logits": (self.teacher_logits, (n, i)),
            "student_repr": (self.student_repr, (n, None)),
            "teacher_repr": (self.teacher_repr, (n, None)),
            "item_popularity": (self.item_popularity, (i,)),
            "seen": (self.seen, (n, i)),
            "student_logsumexp": (self.student_logsumexp, (n,)),
            "student_top_logits": (self.student_top_logits, (n, self.top_m)),
            "student_log_rest": (self.student_log_rest, (n,)),
        }
        for field, (x, shape) in want.items():
            if x is None:
                continue
            ok = x.dim() == len(shape) and all(
                w is None or w == d for w, d in zip(shape, x.shape, strict=True)
            )
            if not ok:
                raise ValueError(
                    f"KDInputs.{field}: expected shape {shape} (None = any), got {tuple(x.shape)}"
                )
        for field in ("targets", "teacher_top_ids"):
            if getattr(self, field).dtype != torch.long:
                raise ValueError(f"KDInputs.{field}: expected int64 item ids")
        if self.seen is not None and self.seen.dtype != torch.bool:
            raise ValueError("KDInputs.seen: expected a bool mask")


class MethodConfig(ModelConfig):
    """Base of every method's parameters; ``kind`` is the method's name (the union's tag)."""

    kind: str = ""

    def teacher_top_needed(self) -> int:
        """The smallest top-``M`` the teacher cache must hold for this method."""
        return 1

    def uses_repr(self) -> bool:
        """Whether the method reads ``student_repr`` / ``teacher_repr`` (an online teacher)."""
        return False

    def uses_seen(self) -> bool:
        """Whether the method reads the history mask ``seen`` (to skip history items when
        it samples or ranks); the distiller builds the mask only when some method does."""
        return True


class KDMethod(nn.Module):
    """Base of every distillation loss.

    Subclasses set ``name`` and ``Config`` and implement ``forward(inp,
    generator) -> N`` losses. ``needs_repr`` marks methods that read the
    representations; ``needs_full_teacher`` those that cannot work from the
    top-``M`` + logsumexp cache (none here); ``reads_top_only`` those that need
    of the student only its logits of the teacher's top-``M`` and its logsumexp
    (so they accept :class:`KDInputs` in the sampled form).
    """

    name: ClassVar[str]
    Config: ClassVar[type[MethodConfig]]
    needs_full_teacher: ClassVar[bool] = False
    #: works from the student's top-M logits and logsumexp alone (the sampled form)
    reads_top_only: ClassVar[bool] = False

    def __init__(
        self,
        config: MethodConfig | None = None,
        *,
        student_dim: int | None = None,
        teacher_dim: int | None = None,
        n_items: int | None = None,
    ) -> None:
        super().__init__()
        self.config = self.Config() if config is None else config
        self.student_dim = student_dim
        self.teacher_dim = teacher_dim
        self.n_items = n_items

    @property
    def uses_repr(self) -> bool:
        """Whether this instance reads ``student_repr`` / ``teacher_repr``."""
        return self.config.uses_repr()

    @property
    def teacher_top_needed(self) -> int:
        """The smallest top-``M`` the teacher cache must hold for this method."""
        return self.config.teacher_top_needed()

    def set_progress(self, fraction: float) -> None:
        """Training progress in ``[0, 1]`` (for annealed parameters); default: ignored."""

    def check_top(self, inp: KDInputs, param: str) -> None:
        """Raise ``ValueError`` when the cache holds fewer than ``teacher_top_needed`` items."""
        need = self.teacher_top_needed
        if inp.top_m < need:
            raise ValueError(
                f"distillation method '{self.name}': parameter '{param}' needs the teacher's "
                f"top-{need} items, the batch holds top-{inp.top_m}; cache at least {need}"
            )

    def forward(self, inp: KDInputs, generator: torch.Generator | None = None) -> Tensor:
        """``N`` float: the loss at each position (no reduction).

        ``generator`` drives any sampling (seeded runs are reproducible); it may
        live on another device than the batch (draws are moved). ``None``: the
        global generator.
        """
        raise NotImplementedError


METHODS: dict[str, type[KDMethod]] = {}

M = TypeVar("M", bound=type[KDMethod])


def register(cls: M) -> M:
    """Class decorator: add a method to :data:`METHODS` under its ``name``."""
    METHODS[cls.name] = cls
    return cls


@cache
def _method_union(names: tuple[str, ...]) -> TypeAdapter[MethodConfig]:
    """The discriminated union (tag ``kind``) of the registered methods' configs."""
    configs = tuple(METHODS[n].Config for n in names)
    tagged = Annotated[Union[configs], Field(discriminator="kind")]  # type: ignore[valid-type]  # noqa: UP007
    return TypeAdapter(tagged)


def parse_method(name: str, params: dict[str, Any] | MethodConfig | None) -> MethodConfig:
    """Method ``name``'s typed config from ``params`` (its ``kind`` taken from ``name``).

    Raises:
        ConfigError: unknown method, or an unknown or invalid parameter; the
            message names the method and the parameter.
    """
    if name not in METHODS:
        known = ", ".join(sorted(METHODS))
        raise ConfigError(f"unknown distillation method '{name}' (known: {known})")
    if isinstance(params, MethodConfig):
        params = params.model_dump()
    if params is not None and not isinstance(params, dict):
        raise ConfigError(f"distillation method '{name}': expected a mapping of parameters")
    tree = {"kind": name, **(params or {})}
    if tree["kind"] != name:
        raise ConfigError(f"distillation method '{name}': 'kind' is '{tree['kind']}'")
    try:
        return _method_union(tuple(sorted(METHODS))).validate_python(tree)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"][1:]) or "kind"  # [0] is the union tag
        msg = "unknown parameter" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(f"distillation method '{name}': parameter '{loc}': {msg}") from None


#: the old name of :func:`parse_method`
parse_config = parse_method


def build_method(
    name: str,
    params: dict[str, Any] | MethodConfig | None = None,
    *,
    student_dim: int | None = None,
    teacher_dim: int | None = None,
    n_items: int | None = None,
) -> KDMethod:
    """Build method ``name`` from a params dict.

    Raises:
        ConfigError: unknown method, unknown or invalid parameter, or a method
            that needs representation widths built without them; the message
            names the method and the parameter.
    """
    config = parse_method(name, params)
    return METHODS[name](config, student_dim=student_dim, teacher_dim=teacher_dim, n_items=n_items)


def need_dims(
    name: str, student_dim: int | None, teacher_dim: int | None, param: str | None = None
) -> None:
    """``ConfigError`` when a representation method is built without both widths.

    ``param`` names the parameter that makes the widths necessary (``de_weight``).
    """
    if student_dim is None or teacher_dim is None:
        why = f"parameter '{param}' > 0 needs" if param else "needs"
        raise ConfigError(
            f"distillation method '{name}': {why} the student's and the teacher's "
            "representation widths (student_dim, teacher_dim), got "
            f"student_dim={student_dim}, teacher_dim={teacher_dim}"
        )


def need_repr(name: str, inp: KDInputs) -> tuple[Tensor, Tensor]:
    """``(student_repr, detached teacher_repr)``; ``ValueError`` when either is missing."""
    if inp.student_repr is None or inp.teacher_repr is None:
        raise ValueError(
            f"distillation method '{name}' needs KDInputs.student_repr and teacher_repr"
        )
    return inp.student_repr.float(), inp.teacher_repr.detach().float()
