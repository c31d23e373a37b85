"""Tests of the Ngũ Đoan cameras integration."""
