"""Widgets shared by the screens, one file per widget."""
