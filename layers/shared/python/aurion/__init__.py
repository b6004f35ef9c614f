"""Aurion Analytics: the shared package every Lambda function of the analytics API imports."""
