from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "accountability.analysis"
    label = "analysis"
