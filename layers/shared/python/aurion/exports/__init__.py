"""Asynchronous exports: requests and downloads (API), datasets per scope, writers per format, S3, SQS, schedules.

How the pieces fit, what each scope and format contains, and why: docs/exports.md.
"""
