"""Automated decisions under the law: BPMN service processes (SpiffWorkflow), DMN decision tables whose rules
cite their norms, dated parameters, decision traces and the human review of automated decisions."""
