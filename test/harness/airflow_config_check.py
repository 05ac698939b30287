"""Asks the installed Airflow whether AIRFLOW__<SECTION>__<KEY> names are real, current options.

Reads a JSON list of environment variable names on stdin; prints JSON:
  {"airflow": version, "checked": [names], "problems": [{"name", "problem"}]}
A name is a problem when its section or key is not in Airflow's configuration description
(config.yml plus every installed provider's config), when Airflow marks it deprecated
(version_deprecated / deprecation_reason, or a renamed option or section), or when it uses
the _CMD / _SECRET form on an option that is not sensitive (Airflow ignores that form there).
Run with the tests' virtualenv python: that is the Airflow the image runs.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    names = json.load(sys.stdin)
    import airflow
    from airflow.configuration import conf, retrieve_configuration_description

    description = retrieve_configuration_description(include_airflow=True, include_providers=True)
    renamed_options = {(old_section, old_key): (section, key)
                       for (section, key), (old_section, old_key, _) in conf.deprecated_options.items()}
    renamed_sections = {old: new for new, (old, _) in conf.deprecated_sections.items()}
    sensitive = {(s.lower(), k.lower()) for s, k in conf.sensitive_config_values}
    problems = []
    checked = []
    for name in sorted(set(names)):
        if not name.startswith("AIRFLOW__"):
            continue
        checked.append(name)
        parts = name[len("AIRFLOW__"):].split("__")
        if len(parts) != 2:
            problems.append({"name": name, "problem": "not of the form AIRFLOW__<SECTION>__<KEY>"})
            continue
        section, key = parts[0].lower(), parts[1].lower()
        suffix = None
        for tail in ("_cmd", "_secret"):
            if key.endswith(tail) and key[: -len(tail)] in description.get(section, {}).get("options", {}):
                suffix, key = tail, key[: -len(tail)]
        if section in renamed_sections:
            problems.append({"name": name, "problem": f"section [{section}] is deprecated: it is [{renamed_sections[section]}] now"})
            continue
        if (section, key) in renamed_options:
            new = renamed_options[(section, key)]
            problems.append({"name": name, "problem": f"deprecated: now [{new[0]}] {new[1]}"})
            continue
        option = description.get(section, {}).get("options", {}).get(key)
        if section not in description:
            problems.append({"name": name, "problem": f"no section [{section}] in Airflow {airflow.__version__} or its providers"})
        elif option is None:
            problems.append({"name": name, "problem": f"no option {key} in [{section}] of Airflow {airflow.__version__} or its providers"})
        elif option.get("version_deprecated") or option.get("deprecation_reason"):
            problems.append({"name": name, "problem": f"deprecated since {option.get('version_deprecated')}: {option.get('deprecation_reason', '').strip()}"})
        elif suffix and (section, key) not in sensitive:
            problems.append({"name": name, "problem": f"{suffix.upper()} works only for sensitive options; {key} is not one"})
    json.dump({"airflow": airflow.__version__, "checked": checked, "problems": problems}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
