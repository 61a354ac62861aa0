"""The one build setting pyproject.toml cannot express: the shipped scenarios.

They stay in ``scenarios/`` at the top of the repository (the docs and tests name them there)
and are installed as the package data ``sim/scenarios/`` (``sim.scenario.shipped`` finds them
in either place). Everything else about the package is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["sim*", "dashboards*"]),
              "sim.scenarios", "sim.scenarios.classroom"],
    package_dir={"sim.scenarios": "scenarios"},
)
