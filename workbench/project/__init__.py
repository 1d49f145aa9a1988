"""The project document and its file: everything the analyst keeps, without Qt."""

from workbench.project.dataset import DataError, Dataset, read_table
from workbench.project.document import Project, ProjectEvent, Settings
from workbench.project.errors import ProjectFileError
from workbench.project.fileformat import load_project, project_to_json, save_project
from workbench.project.records import ReportRecord, RunRecord

__all__ = [
    "DataError",
    "Dataset",
    "Project",
    "ProjectEvent",
    "ProjectFileError",
    "ReportRecord",
    "RunRecord",
    "Settings",
    "load_project",
    "project_to_json",
    "read_table",
    "save_project",
]
