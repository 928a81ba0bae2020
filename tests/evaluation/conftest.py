"""An exam project (the demo's approved questions plus an imported bank), its snapshot, and
a second, randomly initialised model of the bundled model's architecture."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Store
from store.records import Model, Project
from workbench.bundled_model import ensure_model_dir, register_bundled_models
from workbench.demo import create_demo_project
from workbench.question_bank import import_bank
from workbench.settings import Settings
from workbench.snapshots import build_snapshot

# General-knowledge questions with unambiguous answers, in the MMLU CSV layout.
EXTRA_BANK = """\
What is the boiling point of water at sea level in degrees Celsius?,90,100,110,120,B
Which planet is closest to the Sun?,Venus,Earth,Mercury,Mars,C
How many days are there in a leap year?,364,365,366,367,C
What is the chemical symbol for gold?,Ag,Au,Gd,Go,B
Which gas do plants absorb from the air for photosynthesis?,Oxygen,Nitrogen,Hydrogen,Carbon dioxide,D
What is 7 multiplied by 8?,54,56,58,64,B
Which ocean is the largest?,Atlantic,Indian,Pacific,Arctic,C
How many sides does a hexagon have?,Five,Six,Seven,Eight,B
What is the capital of Japan?,Kyoto,Osaka,Tokyo,Nagoya,C
Which organ pumps blood through the human body?,Liver,Heart,Lungs,Kidney,B
What is the freezing point of water in degrees Fahrenheit?,0,32,100,212,B
Which is the smallest prime number?,0,1,2,3,C
What is the capital of France?,Paris,Madrid,Rome,Berlin,A
"""


@pytest.fixture(autouse=True)
def isolated_datasets_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the datasets library's cache out of the user's home (job processes inherit it)."""
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-datasets-cache"))


@pytest.fixture
def exam_project(store: Store, settings: Settings, tmp_path: Path) -> Project:
    """30 approved questions: 17 from the demo (with source passages) and 13 imported."""
    project = create_demo_project(store, settings, name="exam")
    bank = tmp_path / "extra.csv"
    bank.write_text(EXTRA_BANK, encoding="utf-8")
    import_bank(store, project, bank)
    register_bundled_models(store)
    assert store.question_status_counts(project.id)["approved"] == 30
    return project


@pytest.fixture
def exam_snapshot(store: Store, exam_project: Project):  # type: ignore[no-untyped-def]
    return build_snapshot(store, exam_project, fewshot=2, seed=0).snapshot


@pytest.fixture
def random_model(store: Store, random_model_dir: Path) -> Model:
    return store.add_model("random-smollm2", "transformers", str(random_model_dir))


@pytest.fixture
def bundled_dir(settings: Settings) -> Path:
    """The converted bundled model directory (converted once per session)."""
    return ensure_model_dir(settings)

