//! Only tests live here (`tests/facts.rs`): they compare `gather_facts` of rsible-playbook with
//! ansible-playbook's on real SSH test hosts.
