"""What a part of the campaign found: figures to print, targets met or missed, failures."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Target:
    label: str           # "duplicates: 0"
    met: bool
    measured: str        # what was measured, as printed


@dataclass
class Result:
    part: str                                       # "faults", "floods", ...
    figures: dict[str, object] = field(default_factory=dict)   # label -> value, in order
    targets: list[Target] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)          # one line per failed check
    seconds: float = 0.0

    def target(self, label: str, met: bool, measured: object) -> None:
        self.targets.append(Target(label, bool(met), str(measured)))

    def fail(self, message: str) -> None:
        self.failures.append(message)

    @property
    def ok(self) -> bool:
        return not self.failures and all(t.met for t in self.targets)

    def lines(self) -> list[str]:
        out = [f"== {self.part} ({self.seconds:.1f} s) =="]
        out += [f"  {label}: {value}" for label, value in self.figures.items()]
        out += [f"  [{'met' if t.met else 'MISSED'}] {t.label} — measured {t.measured}"
                for t in self.targets]
        shown = self.failures[:30]
        out += [f"  FAILURE: {line}" for line in shown]
        if len(self.failures) > len(shown):
            out.append(f"  ... and {len(self.failures) - len(shown)} more failures")
        return out

    def as_dict(self) -> dict:
        return {"part": self.part, "seconds": round(self.seconds, 2), "ok": self.ok,
                "figures": {k: v if isinstance(v, (int, float, str, bool)) else str(v)
                            for k, v in self.figures.items()},
                "targets": [t.__dict__ for t in self.targets], "failures": self.failures}
