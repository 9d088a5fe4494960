<?php
/*
Plugin Name: Hello Dolly
Version: 1.7.2
*/
